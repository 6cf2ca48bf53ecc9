"""Sample documents made on the spot, for the tests and the benchmarks alike.

- :mod:`samples.pages`: degraded synthetic Vietnamese scans with their ground truth, and CER.
- :mod:`samples.charts`: landscape charts with vertical labels, pages turned 90/180/270.
- :mod:`samples.odd_inputs`: odd PDFs (Type3 without ToUnicode, XFA, swapped UTF-16 layers …).
- :mod:`samples.pki`: small PDF/A-2b inputs and a SoftHSM2 token with the development keys.

Neither ``tests`` nor ``bench`` owns these, so the benchmarks need no test helper.
"""
