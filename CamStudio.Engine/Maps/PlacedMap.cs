
namespace CamStudio.Engine.Maps;

/// <summary>A class activation map with the region of the photo it belongs on; what the renderer and the .npy writer take.</summary>
/// <param name="Map">The map at the layer's resolution (raw values and their range).</param>
/// <param name="Placement">The region of the photo the model saw.</param>
/// <param name="InputWidth">The model input's width in pixels (the resolution of the normalised .npy).</param>
/// <param name="InputHeight">The model input's height in pixels.</param>
public sealed record PlacedMap(CamMap Map, MapPlacement Placement, int InputWidth, int InputHeight);
