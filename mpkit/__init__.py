"""The masked-prediction kit: literate notebooks, a tested library and widgets for every kind of masked prediction"""

__version__ = "0.1.0"
