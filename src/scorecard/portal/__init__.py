"""The partner portal: `scorecard serve` (docs/portal.md)."""
