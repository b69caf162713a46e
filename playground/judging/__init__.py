"""Judging answers: blind runs and votes, the leaderboard, and word diffs."""
