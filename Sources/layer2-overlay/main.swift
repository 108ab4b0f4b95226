import CNIKit

PluginMain.exit(Overlay.self)
