"""Communications: recording, changing, finding and bulk-updating them, and their ids elsewhere."""
