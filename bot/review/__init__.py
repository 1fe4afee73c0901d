"""Moderator review of held and preserved uploads: cases, one decision each, audited."""
