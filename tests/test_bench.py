"""The benchmarks' one entry point: `tracker bench NAME` finds each benchmark, hands it its options, and runs
it on data built by the shared code (a tiny size here; the figures come from full runs, docs/benchmarks.md)."""

import subprocess
import sys

from click.testing import CliRunner

from tracker.bench import BENCHMARKS
from tracker.cli import cli

from .support.serving import TRACKER



def test_every_benchmark_is_listed_and_takes_its_own_options():
    listed = CliRunner().invoke(cli, ["bench", "--help"])
    assert listed.exit_code == 0 and all(name in listed.output for name in BENCHMARKS)
    for name in BENCHMARKS:
        done = subprocess.run([*TRACKER, "bench", name, "--help"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"usage: tracker bench {name} ")  # its own parser, named as it is run


def test_a_benchmark_runs_from_the_entry_point_on_records_it_builds(tmp_path):
    done = subprocess.run([*TRACKER, "bench", "size", "--records", "40", "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pubmed-40.xml").exists() and "40 records; MB per 1,000 papers" in done.stdout
    assert "| **all** |" in done.stdout and "x previous" in done.stdout
    again = subprocess.run([sys.executable, "-m", "tracker.bench", "no-such-benchmark"], capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 2 and "size" in again.stderr


def test_a_missing_dataset_is_one_line_not_a_traceback(tmp_path):
    done = subprocess.run([*TRACKER, "bench", "retrieval", "--csv", str(tmp_path / "none.csv")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "pass --csv PATH" in done.stderr and "Traceback" not in done.stderr


def test_the_rationale_benchmark_keeps_each_papers_reading_apart_and_shares_words():
    from tracker.bench.link import PaperMemory
    from tracker.link.stance import Embeddings

    embedded = []
    memory = PaperMemory(lambda sentence: (len(embedded), sentence))
    vectors = Embeddings(lambda texts: embedded.extend(texts) or [[float(len(t))] for t in texts])
    vectors.cache = memory
    sentence = "Kratom relieved pain in most of the users surveyed."
    memory.pmid = 900000001
    vectors([sentence, "pain"])
    memory.pmid = 900000002  # a copy of the same record under another PMID shares nothing but the word
    vectors([sentence, "pain"])
    assert embedded == [sentence, "pain", sentence]
    memory.pmid = 900000001  # the first paper again (its next claim): kept
    vectors([sentence])
    assert len(embedded) == 3
    facts = memory.facts(sentence)
    assert memory.facts(sentence) is facts
    memory.pmid = 900000002
    assert memory.facts(sentence) is not facts
    memory.forget()  # a new run
    vectors(["pain"])
    assert embedded[-1] == "pain"
