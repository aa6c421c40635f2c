"""The demo: what ``make demo`` needs to show the pipeline on one machine with nothing
set up. Everything here is simulated and labelled as such: a synthesised song library,
and a simulated YouTube channel served on loopback (its report says it is NOT YouTube).
None of it is used by the pipeline's assets.
"""
