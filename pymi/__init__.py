"""pymi: mutual information and entropy estimators with a compiled core."""

__version__ = "0.1.0"
