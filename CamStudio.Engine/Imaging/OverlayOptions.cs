using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Imaging;

/// <summary>How a map is drawn over a photo.</summary>
public sealed record OverlayOptions
{
    private readonly float _alpha = 0.5f;
    private readonly Colormap _colormap = Colormap.Jet;

    public static OverlayOptions Default { get; } = new();

    public Colormap Colormap
    {
        get => _colormap;
        init => _colormap = value ?? throw new ArgumentNullException(nameof(Colormap));
    }

    /// <summary>Weight of the colour: out = Alpha·colour + (1 − Alpha)·photo. In [0, 1], default 0.5.</summary>
    public float Alpha
    {
        get => _alpha;
        init
        {
            if (!(value >= 0f && value <= 1f))
                throw new ArgumentOutOfRangeException(nameof(Alpha), value, "Overlay alpha must be between 0 and 1.");
            _alpha = value;
        }
    }

    /// <summary>A range shared by several maps (so their colours compare); null uses each map's own min–max.</summary>
    public ValueRange? Range { get; init; }
}
