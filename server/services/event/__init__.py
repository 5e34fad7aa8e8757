"""The event: zones, gates, access levels and its calendar day (``setup``), live figures
for the dashboard (``stats``), the gates' sync feed (``sync``), and the demo convention
(``demo``)."""
