"""The ScaleBench law instances of this folder as scalinglaws formula specs (<task>/laws.json): formulas typed
from LAWS.md, bounds and parameter order from laws_spec.json. Run from anywhere: python data/scalebench/make_laws.py
(tests/test_formula.py checks each against a second, hand-written NumPy transcription of LAWS.md)."""
import json
from pathlib import Path

root = Path(__file__).resolve().parent
spec = json.load(open(f"{root}/laws_spec.json"))
COLUMNS = {"parallel": {"N": "N", "S": "parallel_size"},
           "moe": {"E": "num_experts", "N": "dense_parameter_count"},
           "data_constrained": {"U": "U", "N": "N", "D": "D"},
           "farseer": {"N": "N", "D": "D"}}
# the cost proxy of LAWS.md's table, over the run table's columns; budgets and repeats from PROTOCOL.md
COST = {"parallel": "N", "moe": "num_experts*dense_parameter_count", "data_constrained": "6*N*D",
        "farseer": "6*N*D"}
TARGET = {"parallel": "loss", "moe": "loss_validation", "data_constrained": "loss", "farseer": "loss"}
F = {
 "parallel": {
  "sl_1": ("c0 + cN*N^(-alpha) + cS*S^(-beta) + cNS*N^(-alpha)*S^(-beta)", None),
  "sl_2": ("c0 + cN*N^(-alpha) + cS*S^(-beta)", None),
  "sl_3": ("a*N^b + c/(1 + S) + d", None),
  "sl_4": ("a*N^b + c*S^(-0.5) + d", None),
  "sl_5": ("max(A / max(N*(k*log(max(S, 1)) + 1), 1e-12), 1e-12)^alpha + E", None),
  "sl_6": ("c0 + c1*(N^(-alpha) + S^(-beta))", None),
  "sl_7": ("L0 + A*N^(-alpha) / max(1 + k*log(S), 1e-12)", None),
  "sl_8": ("(a*N^b + c) / max(1 + d*log(S), 1e-12)", None),
  "sl_9": ("A*N^(-alpha)*S^(-beta)", None),
  "sl_10": ("(A*N^(-alpha) + E)*S^(-beta)", None),
 },
 "moe": {
  "sl_1": ("L_inf + B / max(N^alpha*E^beta, 1e-12)", None),
  "sl_2": ("L + K*(N^alpha*E^beta)^(-gamma)", None),
  "sl_3": ("A*N^alpha/(1 + B*E^beta) + C*N^(0.6*alpha) + D", None),
  "sl_4": ("a/(N^alpha*(1 + b*E1)^gamma) + c + d*(log(N) - 0.4*log(1 + E1))", {"E1": "max(E, 1)"}),
  "sl_5": ("p0 + exp(clip(p1 + p2*log(E1) + p3*log(N) + p4*log(E1)*log(N), -50, 50)) + p5*log(E1)",
           {"E1": "max(E, 1)"}),
  "sl_6": ("a*N^(-b)*(1 + c*E1^(-d)) + e + f/(E1*N^0.05)", {"E1": "max(E, 1)"}),
  "sl_7": ("p0*E^p1*N^p2 + p3*N^p4 + p5", None),
  "sl_8": ("a*N^b*E^c + d", None),
  "sl_9": ("c0 + A*(N*E^g)^(-a)", None),
  "sl_10": ("bias + A*(N/1e9)^(-alpha)*((1 + B*E^gamma)/(1 + B))^(-beta)", None),
 },
 "data_constrained": {
  "sl_1": ("A*N^(-alpha) + B*D^(-beta) + E*U^gamma*N^delta", None),
  "sl_2": ("a + b*U^p + c*N^q + d*D^r", None),
  "sl_3": ("A*Neff^(-alpha) + B*Deff^(-alpha) + C",
           {"UN": "max(min(rho*U, N), 1e-12)", "RN": "max(N/UN - 1, 0)", "RD": "D/U - 1",
            "Neff": "UN*(1 + tau_N*(1 - exp(-RN/tau_N)))", "Deff": "U*(1 + tau_D*(1 - exp(-RD/tau_D)))"}),
  "sl_4": ("L0 + A*N^(-a) + B*(D/(1 + D/(s*U*N^d)))^(-b)", None),
  "sl_5": ("A*N^(-alpha) + B*(U^gamma*D^(1 - gamma))^(-beta) + E", None),
  "sl_6": ("E + A*N^(-alpha) + B*(D/(1 + C*max(D/U - 1, 0)^c*N^d))^(-beta)", None),
  "sl_7": ("L0 + A*(N*U)^alpha_pu + B*D^alpha_t + C*N^alpha_p", None),
  "sl_8": ("a + b*D^(-alpha) + c*N^(-beta) + d*max(abs(log(U/D + 1)), 1e-12)^gamma", None),
  "sl_9": ("A*N^(-alpha) + B*D^(-beta)*(1 + C*U^(-gamma)) + L_inf", None),
  "sl_10": ("L0 + A*N^(-a) + B*exp(logaddexp(-b*q*log(D), -b*q*log(k*U))/q)", None),
 },
 "farseer": {
  "sl_1": ("exp(clip(s*N^q + S, -50, 50)) + exp(clip(clip(B*N^b + Q, -50, 50) - exp(clip(A*N^a + E, -50, 50))*log(D),"
           " -50, 50))", None),
 },
}
for task, laws in F.items():
    out = []
    for name, (formula, let) in laws.items():
        params = [{"name": p["name"], "lower": p["lo"], "upper": p["hi"]} for p in spec[task]["laws"][name]["params"]]
        s = {"name": f"scalebench_{task}_{name}", "formula": formula, "inputs": COLUMNS[task],
             "target": TARGET[task], "params": params, "objective": {"residuals": "raw", "loss": "squared"},
             "citation": f"ScaleBench (Li et al. 2026, arXiv 2604.22753), task {task}, law {name}; formula from "
                         "data/scalebench/LAWS.md"}
        if let:
            s["let"] = let
        if (task, name) == ("data_constrained", "sl_10"):
            s["note"] = ("(D^(-bq) + (kU)^(-bq))^(1/q) written as a log-sum-exp: with q up to 50 its terms fall far "
                         "below the smallest normal double, where XLA flushes to zero and NumPy keeps denormals")
        out.append(s)
    with open(f"{root}/{task}/laws.json", "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    with open(f"{root}/{task}/task.json", "w") as fh:
        json.dump({"name": task, "cost": COST[task], "budgets": spec[task]["budget_checkpoints"], "repeats": 10},
                  fh, indent=1)
        fh.write("\n")
    print(task, len(out))
