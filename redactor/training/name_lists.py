"""Build the compact first/last name lists the private-text detector ships
(redactor/detectors/data/first_names.txt, last_names.txt) from the `names-dataset` wheel.

The wheel's pickles hold 730k first and 983k last names with their popularity rank per country
(105 countries); loading both takes ~3 GB of RAM, far too much for a detector. This keeps the
names ranked in the top FIRST_RANK / LAST_RANK of at least one country, in Latin script, and
drops common English words ("Will", "Price") so a list hit alone means little; the detector
still needs a second cue (a first name with a last name, a label, a greeting, an initial).

Run once, by hand, with the wheel installed or unpacked (its data: Apache-2.0):

    pip download --no-deps names-dataset==3.3.1 && unzip names_dataset-3.3.1-*.whl -d nd
    python redactor/training/name_lists.py --data nd/names_dataset/v3
"""

from __future__ import annotations

import argparse
import gc
import gzip
import pickle
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "detectors" / "data"
FIRST_RANK = 1500
LAST_RANK = 2500
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’-]+")

# Words that are common in documents and also rank as names somewhere: a list hit on one of
# them is no evidence of a person. Lower case.
COMMON_WORDS = """
a about above account action add address after again against age all also am amount an and
any april are area art as ask at august august away back bank be bed been before begin being
bell best bill black blue board body book born both box boy bread bridge brown but buy by
call can card care case cash center central chair chance change charge check child church city
class clear close club code cold come common cost could count country court cross cut date day
dean dear december deep delivery desk do doctor does dollar door down draw dream dress drive
due during each early east easy end energy english even ever every face fair fall far farm
fast father february field file fine first fish five floor for form four free french friday
from front full fund game garden gas general get gift girl give glass go god gold good grace
grand grant great green group guest hall hand happy hard have he head health heart help her
here high hill his home hope hospital hot hour house how i if in info into is it item january
job join joy july june just keep key kind king land large last law lead left less life light
like line list little live long love low made main make man march mark market may me mean
medical member message middle might miles mill miss monday money month more most mother much
music must my name near new news next nice night no none north not note now number of off
office old on one only open or order other our out over page paid park part party pass pay
peace people per person phone place plan play please point post power press price print
private pro rate read real record red rest right river road rock room rose round rule safe
sale same saturday say school sea second see sell send service set she ship shop short show
side sign silver single small so some son south special spring square staff star start state
station stay steel still stone store street summer sun sunday sure table take tax team tel
ten test text than thank thanks that the their them then there these they this thursday time
to today top total town trade tree true tuesday two under union unit up upon us use valley
very via view visit wall want war was water way we wednesday week well west what when white
who why will win winter with wood word work world would year yes you young your
""".split()


def _load(path: Path) -> dict:
    with gzip.open(path, "rb") as f:
        return pickle.load(f)


def compact(table: dict, max_rank: int) -> list[str]:
    keep = set()
    common = set(COMMON_WORDS)
    for name, info in table.items():
        ranks = info.get("rank") or {}
        if not ranks or min(ranks.values()) > max_rank or not _LATIN.fullmatch(name):
            continue
        if name.lower() in common:
            continue
        keep.add(name.lower())
    return sorted(keep)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="names_dataset/v3 folder")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    # One table at a time: each takes ~1.5 GB unpickled.
    for kind, max_rank in (("first", FIRST_RANK), ("last", LAST_RANK)):
        table = _load(args.data / f"{kind}_names.pkl.gz")
        names = compact(table, max_rank)
        del table
        gc.collect()
        (OUT / f"{kind}_names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
        print(f"{kind}: {len(names)} names")


if __name__ == "__main__":
    main()
