using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using static TorchSharp.torch;
using SharpResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;
using Size = SixLabors.ImageSharp.Size;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Turns photos into the model's input batch: resize per <see cref="PreprocessingSpec.Resize"/> with bilinear
/// (triangle) resampling, scale RGB to [0, 1], normalise with the spec's mean/std, lay out N×3×H×W float32.
/// Pixels are gathered row by row into one float array and become a tensor in a single copy.
/// </summary>
public static class PhotoPreprocessor
{
    /// <summary>An N×3×H×W float32 tensor on <paramref name="device"/> (CPU when null). The caller owns it.</summary>
    public static Tensor ToBatch(IReadOnlyList<Image<Rgb24>> photos, PreprocessingSpec spec, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(photos);
        ValidateSpec(spec);
        if (photos.Count == 0)
            throw new ArgumentException("A batch needs at least one photo.", nameof(photos));
        int planeSize = spec.InputWidth * spec.InputHeight;
        var data = new float[photos.Count * 3 * planeSize];
        for (int i = 0; i < photos.Count; i++)
            WriteChannelsFirst(photos[i], spec, data.AsSpan(i * 3 * planeSize, 3 * planeSize));
        return torch.tensor(data, [photos.Count, 3, spec.InputHeight, spec.InputWidth], dtype: ScalarType.Float32, device: device ?? CPU);
    }

    /// <summary>A 1×3×H×W batch of one photo.</summary>
    public static Tensor ToTensor(Image<Rgb24> photo, PreprocessingSpec spec, Device? device = null) =>
        ToBatch([photo], spec, device);

    /// <summary>
    /// The photo resized (and cropped) exactly as the model sees it, at the spec's input size. Useful to show
    /// what the network was given, and to place a centre-crop map back on the photo.
    /// </summary>
    public static Image<Rgb24> Resize(Image<Rgb24> photo, PreprocessingSpec spec)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ValidateSpec(spec);
        int w = spec.InputWidth, h = spec.InputHeight;
        if (spec.Resize == ResizeMode.Stretch)
            return photo.Clone(x => x.Resize(new ResizeOptions
            {
                Size = new Size(w, h),
                Mode = SharpResizeMode.Stretch,
                Sampler = KnownResamplers.Triangle,
            }));

        Rectangle crop = CenterCropRegion(photo.Width, photo.Height, spec, out Size resized);
        return photo.Clone(x => x
            .Resize(new ResizeOptions { Size = resized, Mode = SharpResizeMode.Stretch, Sampler = KnownResamplers.Triangle })
            .Crop(crop));
    }

    /// <summary>
    /// For <see cref="ResizeMode.CenterCrop"/>: the photo is scaled so it covers the input (shorter side to size for a
    /// square input) to <paramref name="resized"/>, then the returned centred rectangle is cut out of it.
    /// </summary>
    public static Rectangle CenterCropRegion(int photoWidth, int photoHeight, PreprocessingSpec spec, out Size resized)
    {
        int w = spec.InputWidth, h = spec.InputHeight;
        double scale = Math.Max((double)w / photoWidth, (double)h / photoHeight);
        int rw = Math.Max(w, (int)Math.Round(photoWidth * scale));
        int rh = Math.Max(h, (int)Math.Round(photoHeight * scale));
        resized = new Size(rw, rh);
        // torchvision's CenterCrop: top = round((H − h) / 2), left = round((W − w) / 2).
        int left = (int)Math.Round((rw - w) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((rh - h) / 2.0, MidpointRounding.ToEven);
        return new Rectangle(left, top, w, h);
    }

    /// <summary>
    /// The part of the original photo the model sees: all of it for <see cref="ResizeMode.Stretch"/>, the centred
    /// crop mapped back to photo pixels for <see cref="ResizeMode.CenterCrop"/>. A map of the model's input belongs
    /// on this region (see <see cref="Placement"/>).
    /// </summary>
    public static Rectangle InputRegion(int photoWidth, int photoHeight, PreprocessingSpec spec)
    {
        ValidateSpec(spec);
        if (photoWidth <= 0 || photoHeight <= 0)
            throw new ArgumentException($"Photo size {photoWidth}×{photoHeight} must be positive.");
        if (spec.Resize == ResizeMode.Stretch)
            return new Rectangle(0, 0, photoWidth, photoHeight);
        Rectangle crop = CenterCropRegion(photoWidth, photoHeight, spec, out Size resized);
        double sx = (double)photoWidth / resized.Width, sy = (double)photoHeight / resized.Height;
        int left = (int)Math.Round(crop.X * sx), top = (int)Math.Round(crop.Y * sy);
        int right = Math.Min(photoWidth, (int)Math.Round(crop.Right * sx));
        int bottom = Math.Min(photoHeight, (int)Math.Round(crop.Bottom * sy));
        return new Rectangle(left, top, Math.Max(1, right - left), Math.Max(1, bottom - top));
    }

    /// <summary>Where a map of the model's input belongs on a <paramref name="photoWidth"/>×<paramref name="photoHeight"/> photo (<see cref="InputRegion"/> as fractions).</summary>
    public static MapPlacement Placement(int photoWidth, int photoHeight, PreprocessingSpec spec) =>
        MapPlacement.Of(InputRegion(photoWidth, photoHeight, spec), photoWidth, photoHeight);

    /// <summary><paramref name="map"/> (of a model with <paramref name="spec"/>) placed on a <paramref name="photoWidth"/>×<paramref name="photoHeight"/> photo.</summary>
    public static PlacedMap Place(CamMap map, int photoWidth, int photoHeight, PreprocessingSpec spec) =>
        new(map, Placement(photoWidth, photoHeight, spec), spec.InputWidth, spec.InputHeight);

    private static void WriteChannelsFirst(Image<Rgb24> photo, PreprocessingSpec spec, Span<float> target)
    {
        int w = spec.InputWidth, h = spec.InputHeight, plane = w * h;
        bool resize = photo.Width != w || photo.Height != h;
        Image<Rgb24> sized = resize ? Resize(photo, spec) : photo;
        try
        {
            float mr = spec.Mean[0], mg = spec.Mean[1], mb = spec.Mean[2];
            float sr = spec.Std[0], sg = spec.Std[1], sb = spec.Std[2];
            for (int y = 0; y < h; y++)
            {
                Span<Rgb24> row = sized.DangerousGetPixelRowMemory(y).Span;
                Span<float> r = target.Slice(y * w, w);
                Span<float> g = target.Slice(plane + y * w, w);
                Span<float> b = target.Slice(2 * plane + y * w, w);
                for (int x = 0; x < w; x++)
                {
                    Rgb24 p = row[x];
                    r[x] = (p.R / 255f - mr) / sr;
                    g[x] = (p.G / 255f - mg) / sg;
                    b[x] = (p.B / 255f - mb) / sb;
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(sized, photo))
                sized.Dispose();
        }
    }

    private static void ValidateSpec(PreprocessingSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.InputWidth <= 0 || spec.InputHeight <= 0)
            throw new ArgumentException($"Input size {spec.InputWidth}×{spec.InputHeight} must be positive.", nameof(spec));
        if (spec.Mean is not { Length: 3 } || spec.Std is not { Length: 3 })
            throw new ArgumentException("Mean and Std need one value per RGB channel.", nameof(spec));
        if (spec.Std.Any(s => !(s > 0)))
            throw new ArgumentException("Std values must be positive.", nameof(spec));
    }
}
