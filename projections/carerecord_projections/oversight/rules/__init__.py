"""The oversight rules, pure: what a scope and a period are, the figures' arithmetic, blanket-decision detection
and equality monitoring with its disclosure control. They work on plain values and import no database code
(an import contract says so); ../queries gathers their inputs from the read models."""
