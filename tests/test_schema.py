import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws import table_from_csv


def test_aliases_and_derived_tokens():
    t = table_from_csv("params,flops,loss\n1e8,6e18,3.1\n2e8,1.2e19,3.0\n", require=("N", "D", "loss"))
    np.testing.assert_allclose(t["D"], [1e10, 1e10])
    assert any("D (tokens) derived" in n for n in t.notes)
    assert t.n_runs == 2  # no run column and no step: one run per row


def test_chinchilla_csv_columns_map(chinchilla_table):
    assert len(chinchilla_table) == 240
    assert {"N", "C", "D", "loss"} <= set(chinchilla_table.columns)
    assert "color" in chinchilla_table.labels


def test_every_problem_is_reported_at_once():
    csv = "run,N,D,loss\na,1e8,1e9,3.0\nb,-5,1e9,abc\nc,1e8,,2.9\na,1e8,1e9,nan\n"
    with pytest.raises(sl.SchemaError) as err:
        table_from_csv(csv, require=("N", "D", "loss", "lr"))
    text = "\n".join(err.value.problems)
    assert "missing column 'lr' (or one of: learning_rate); columns present: run, N, D, loss" in text
    assert "column 'loss': non-numeric values at row 2" in text
    assert "column 'N': must be positive, not at row 2" in text
    assert "column 'D': NaN, inf or empty at row 3" in text
    assert "column 'loss': NaN, inf or empty at row 4" in text
    assert "duplicated run id" in text and "row 4" in text
    assert len(err.value.problems) == 6
    assert err.value.hint.startswith("rows 3, 4 have empty cells")  # the way out, after the problems


def test_duplicated_run_and_step():
    with pytest.raises(sl.SchemaError, match=r"duplicated \(run, step\) at row 3"):
        table_from_csv("run,step,lr,loss\na,1,0.1,3\na,2,0.1,2.9\na,2,0.1,2.8\nb,2,0.1,2.8\n", require=("loss",))


def test_a_wide_files_missing_column_lists_twenty_of_its_columns():
    header = ",".join(f"metric_{i}" for i in range(30))
    with pytest.raises(sl.SchemaError) as err:
        table_from_csv(f"N,{header}\n1e8," + ",".join(["1"] * 30) + "\n", require=("loss",))
    assert err.value.problems[0].endswith("columns present: N, metric_0, " + ", ".join(f"metric_{i}" for i in
                                                                                       range(1, 19)) + ", ... (31 in all)")


def test_tab_and_semicolon_separated_files_read_as_the_comma_separated_one():
    comma = table_from_csv("run,N,D,loss\na,1e8,1e9,3.0\nb,2e8,1e9,2.9\n")
    for sep in ("\t", ";"):
        other = table_from_csv(f"run{sep}N{sep}D{sep}loss\na{sep}1e8{sep}1e9{sep}3.0\nb{sep}2e8{sep}1e9{sep}2.9\n")
        assert other.fingerprint() == comma.fingerprint() and list(other.columns) == list(comma.columns)
    with pytest.raises(sl.SchemaError, match=r"column 'loss': non-numeric values at row 1 \(e.g. '3,0'\)"):
        table_from_csv("N;D;loss\n1e8;1e9;3,0\n")  # a decimal comma is named, not misread


def test_a_repeated_canonical_header_name_is_a_problem():
    with pytest.raises(sl.SchemaError) as err:
        table_from_csv("N,N,D,loss\n1e8,2e8,1e9,-3.0\n")
    assert "column 'N' appears more than once in the header" in err.value.problems[0]
    assert any("'loss': must be positive" in p for p in err.value.problems)  # reported with the rest
    # a repeated metric keeps its copies, as does a literal name with a dot
    assert {"score", "score.1"} <= set(table_from_csv("N,D,loss,score,score\n1e8,1e9,3.0,1,2\n").columns)
    assert "loss.1" in table_from_csv("N,D,loss,loss.1\n1e8,1e9,3.0,2.9\n").columns


def test_ambiguous_columns_and_inf():
    with pytest.raises(sl.SchemaError) as err:
        table_from_csv("N,params,loss\n1,2,inf\n")
    text = "\n".join(err.value.problems)
    assert "all mean 'N'" in text and "column 'loss': NaN, inf or empty at row 1" in text


def test_drop_empty_is_explicit_and_noted():
    csv = "C,N,loss\n1e18,1e8,3.0\n1e18,,\n1e18,2e8,2.9\n"
    with pytest.raises(sl.SchemaError) as err:
        table_from_csv(csv)
    # the error names the way out, as a hint after the problems (the CLI prints it whole)
    assert err.value.hint == ("row 2 has empty cells; to leave such rows out, read with drop_empty=True (the CLI's "
                              "--drop-empty, the app's 'Leave out rows with empty cells')")
    assert str(err.value).endswith("\n  hint: " + err.value.hint)
    t = table_from_csv(csv, drop_empty=True)
    assert len(t) == 2 and "dropped 1 row(s) with empty values: row 2" in t.notes[0]


def test_missing_file_is_a_schema_error(tmp_path):
    with pytest.raises(sl.SchemaError, match="no such file"):
        sl.read_runs(tmp_path / "nope.csv")


def test_folder_of_per_run_csvs(tmp_path):
    (tmp_path / "cosine.csv").write_text("step,lr,loss\n1,0.1,3.0\n2,0.05,2.9\n")
    (tmp_path / "constant.csv").write_text("step,lr,loss\n1,0.1,3.1\n2,0.1,3.0\n3,0.1,2.95\n")
    t = sl.read_runs(tmp_path, require=("step", "lr", "loss"))
    assert list(t.run_ids) == ["constant", "cosine"] and len(t) == 5
    np.testing.assert_array_equal(t.run_codes, [0, 0, 0, 1, 1])


def test_where_and_drop_largest():
    t = table_from_csv("cfg,N,D,loss\nx,1e8,1e9,3\ny,1e8,1e9,4\nx,2e8,1e9,5\n")
    assert len(t.where(cfg="x")) == 2
    assert list(t.drop_largest("loss", 1)["loss"]) == [3.0, 4.0]
    with pytest.raises(sl.SchemaError, match="no column 'nope'"):
        t.where(nope="x")


def test_fingerprint_tracks_the_numbers():
    a = table_from_csv("N,D,loss\n1e8,1e9,3\n2e8,1e9,2.9\n")
    b = table_from_csv("N,D,loss\n1e8,1e9,3\n2e8,1e9,2.8\n")
    assert a.fingerprint() != b.fingerprint()
    assert a.fingerprint() == table_from_csv("n_params,tokens,loss\n1e8,1e9,3\n2e8,1e9,2.9\n").fingerprint()


def test_uploads_a_zip_of_per_run_csvs_and_mapped_columns():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for run, offset in (("small", 0.0), ("large", -0.5)):
            archive.writestr(f"curves/{run}.csv", "".join(f"{s},3e-4,{4.0 + offset - s / 1000:.3f}\n"
                                                          for s in (100, 200, 300)).join(["iteration,learning_rate,val\n", ""]))
        archive.writestr("__MACOSX/._small.csv", "junk")  # what a Mac's zip adds: not a run
    files = [("runs.zip", buffer.getvalue())]
    assert sl.csv_columns(files) == ["iteration", "learning_rate", "val"]
    assert [sl.canonical_column(c) for c in sl.csv_columns(files)] == ["step", "lr", None]
    table = sl.read_uploads(files, rename={"val": "loss"})
    assert sorted(table.run_ids) == ["large", "small"] and len(table) == 6
    np.testing.assert_allclose(table.with_runs(["large"])["loss"], [3.4, 3.3, 3.2])
    with pytest.raises(sl.SchemaError, match="not a readable zip"):
        sl.read_uploads([("broken.zip", b"not a zip")])
    with pytest.raises(sl.SchemaError, match="no such column"):
        sl.read_uploads(files, rename={"value": "loss"})


def test_csv_edge_cases_of_the_parser():
    # a byte-order mark, quoted fields with commas, spaces around cells, blank lines, a short row padded as empty,
    # and the usual missing-value spellings (NA, null, empty) read as missing, not as text
    text = '\ufeffrun, N ,D,loss,cfg\n"a,1",1e8,1e9,3.0, x \n\nb,2e8,1e9,NA,y\nc,3e8,1e9,2.8\n'
    with pytest.raises(sl.SchemaError) as err:
        table_from_csv(text.encode())
    assert err.value.problems == ["column 'loss': NaN, inf or empty at row 2"]
    t = table_from_csv(text.replace("NA", "2.9"))
    assert list(t.run_ids) == ["a,1", "b", "c"] and list(t["N"]) == [1e8, 2e8, 3e8]
    assert "cfg" in t.labels and list(t["cfg"]) == ["x", "y", ""]  # the short row's missing label is empty
    # a row longer than the header, an empty input and undecodable bytes: one clear problem each
    for bad, says in (("N,loss\n1e8,3,7\n", "data row 1 has 3 fields but the header has 2"),
                      ("", "no header line"), (b"N,loss\n\xff\xfe,3\n", "not a readable CSV")):
        with pytest.raises(sl.SchemaError, match=says):
            table_from_csv(bad)
    # a repeated column name is kept apart (loss, loss.1) and then reported as two columns meaning the same
    with pytest.raises(sl.SchemaError, match=r"columns \['loss', 'train_loss'\] all mean 'loss'"):
        table_from_csv("N,D,loss,train_loss\n1e8,1e9,3,3\n")
    dup = table_from_csv("N,D,loss,acc_x,acc_x\n1e8,1e9,3,0.1,0.2\n")
    assert list(dup["acc_x.1"]) == [0.2]


def test_columns_given_as_arrays_keep_integer_run_ids():
    t = sl.table_from_columns({"run": np.array([7, 8]), "N": [1e8, 2e8], "D": [1e9, 1e9], "loss": [3.0, 2.9]})
    assert list(t.run_ids) == ["7", "8"]
    with pytest.raises(sl.SchemaError, match="columns of different lengths"):
        sl.table_from_columns({"N": [1e8, 2e8], "loss": [3.0]})
