"""Pure analytics: pandas/numpy/scipy/scikit-learn/statsmodels in, figures out. No database, no Reflex."""
