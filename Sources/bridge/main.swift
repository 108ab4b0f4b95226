import CNIKit

PluginMain.exit(Bridge.self)
