"""Tools beside the product, not part of it: the bench that measures it and the synthetic demo region."""
