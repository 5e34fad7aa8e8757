"""Badge delivery by email: who is due and the at-least-once send loop (``delivery``),
the message itself (``compose``), and SMTP or an outbox folder (``transport``)."""
