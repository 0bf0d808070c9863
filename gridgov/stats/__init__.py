"""Statistics per area at every level: live counts kept by triggers, recounts for past dates."""
