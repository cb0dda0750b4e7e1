"""The synthetic demo region: the register and population fixtures, thousands of people with conversations,
decisions, reviews, revocations, moves between settings, deaths and concerns, and one care home where a GP
applied one reasoning to every resident (the blanket decision the oversight views must catch).

people.py invents the people and each step of their stories; loader.py puts them through the same use cases,
rules and projections as real records. NHS numbers come from 999 000 0000 - 999 999 9999, a range that passes
the modulus 11 check but is never issued to a patient (see README, "The demo region"). The store is marked as
demo; demo data is never loaded into a store holding anything else."""

from carerecord.tools.demo_region.loader import DEMO_SCHEMA, DemoLoader, DemoRefused, DemoSummary

__all__ = ["DEMO_SCHEMA", "DemoLoader", "DemoRefused", "DemoSummary"]
