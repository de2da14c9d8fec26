"""Fast array implementations the conv and pool ops call from ``perform``.

The ops say what is computed; these modules say how to compute it quickly on numpy or cupy
(im2col with stride tricks, channels-last memory, reused scratch buffers, batch chunking).
"""
