"""Request and answer shapes (msgspec Structs). They live at the edge only."""
