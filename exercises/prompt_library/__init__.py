"""The prompt-template library: named, versioned prompt templates agents insert into the
workspace's prompt box; trainers author and approve, agents propose."""
