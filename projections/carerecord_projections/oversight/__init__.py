"""Oversight of decisions across people: rules that look at many CPR recommendations together (pure Python, no
database), so that assurance teams can see patterns no single record shows, such as blanket decisions."""
