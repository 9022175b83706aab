"""Stage 4, sharing: dossiers by email, as ``.eml`` drafts or through SMTP.

What a message says (``letter``), where it waits and how it leaves
(``outbox``), and the story of one mailing (``mail``).

May import: ``run``, ``content``, ``data`` and the top-level modules; nothing
of ``cli``.
"""
