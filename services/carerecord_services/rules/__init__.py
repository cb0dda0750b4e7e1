"""The rules, one module per family of use cases; `carerecord_services.decisions.decide` applies them."""
