"""The service layer: load -> decide -> guard -> append, one service per aggregate, and the flows."""
