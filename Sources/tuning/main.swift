import CNIKit

PluginMain.exit(Tuning.self)
