# No outputs: the module only refuses a plan whose env is not its workspace.
