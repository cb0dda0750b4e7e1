"""Decision quality, for assurance teams: the dashboard's figures and their drill-downs, blanket-decision alerts
and equality monitoring, for a region, an organisation or a setting over a period (views.py).

rules/ holds the pure rules (what a scope and a period are, the figures' arithmetic, blanket detection, equality
monitoring and its disclosure control), which import no database code; queries/ holds the SQL that feeds them
from the read models."""
