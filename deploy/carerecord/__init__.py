"""carerecord: the composition root, settings and command line of the shared care record."""
