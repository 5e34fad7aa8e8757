"""LAN mode: gates of one zone keep anti-passback together while the server is away
(wire: signed datagrams; node: membership, leader, ordered log; gate: the facade's side)."""
