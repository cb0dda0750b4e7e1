"""The SQL that feeds the oversight rules: every figure counted from the read models, the drill-downs behind
them, and the decisions and people the pattern rules look at."""
