"""Fast numeric implementations that ops' ``perform`` calls (im2col, channels-last layout, threads).

The ops say the mathematics; these modules say how to make it fast on numpy (and cupy).
"""
