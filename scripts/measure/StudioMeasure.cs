#:package Microsoft.Playwright@1.64.1
#:package SixLabors.ImageSharp@2.1.13
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false
#:property PublishAot=false

// Measures the studio on a running CamStudio (not a test): time from handing a photo to the page's file input to
// the first overlay being on screen (its <img> loaded), in Debian's Chromium, median of N runs per photo.
// Each run opens a fresh page (new circuit, empty session); one warm-up run (model load) is not counted.
// For both.png it also times a method change (Grad-CAM → LayerCAM in the picker) and a class change (the second
// prediction clicked): from the click to the new overlay's <img> decoded.
// Usage: dotnet run scripts/measure/StudioMeasure.cs -- http://127.0.0.1:5000 /path/to/both.png [runs=20]
using System.Diagnostics;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

string url = args[0];
string source = args[1];
int runs = args.Length > 2 ? int.Parse(args[2]) : 20;

// A 12-megapixel photo made at run time: the shared photo upscaled to 4000×3000, saved as a JPEG (as a phone would).
string big = Path.Combine(Path.GetTempPath(), $"camstudio-12mp-{Environment.ProcessId}.jpg");
using (Image<Rgb24> image = Image.Load<Rgb24>(source))
{
    image.Mutate(c => c.Resize(4000, 3000, KnownResamplers.Bicubic));
    image.SaveAsJpeg(big, new JpegEncoder { Quality = 90 });
}

using IPlaywright playwright = await Playwright.CreateAsync();
await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

try
{
    foreach ((string name, string file) in new[] { ("both.png", source), ("12 MP JPEG (4000×3000)", big) })
    {
        bool switches = file == source;
        await MeasureOnceAsync(file, switches); // warm-up: model load, JIT
        var times = new List<double>();
        var methodTimes = new List<double>();
        var classTimes = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            (double first, double method, double klass) = await MeasureOnceAsync(file, switches);
            times.Add(first);
            methodTimes.Add(method);
            classTimes.Add(klass);
        }
        Console.WriteLine($"{name,-24} {new FileInfo(file).Length / 1024.0 / 1024.0,6:0.00} MB  upload → first overlay: {Summary(times)}");
        if (switches)
        {
            Console.WriteLine($"{"",-34} method change: {Summary(methodTimes)}");
            Console.WriteLine($"{"",-34} class change:  {Summary(classTimes)}");
        }
    }
}
finally
{
    File.Delete(big);
}

string Summary(List<double> values)
{
    values.Sort();
    double median = values.Count % 2 == 1 ? values[values.Count / 2] : (values[values.Count / 2 - 1] + values[values.Count / 2]) / 2;
    return $"median {median:0} ms, min {values[0]:0} ms, max {values[^1]:0} ms ({values.Count} runs)";
}

async Task<(double First, double Method, double Class)> MeasureOnceAsync(string file, bool switches)
{
    IPage page = await browser.NewPageAsync();
    page.SetDefaultTimeout(float.Parse(Environment.GetEnvironmentVariable("STUDIO_MEASURE_TIMEOUT_MS") ?? "300000"));
    try
    {
        await page.GotoAsync(url);
        await page.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();
        var clock = Stopwatch.StartNew();
        await page.Locator("input[type=file]").SetInputFilesAsync(file);
        // On screen = the overlay's <img> exists and has decoded its pixels.
        await page.WaitForFunctionAsync(
            "() => { const img = document.querySelector('[data-testid=overlay] .overlay-frame img'); return img && img.complete && img.naturalWidth > 0; }",
            null, new PageWaitForFunctionOptions { PollingInterval = 5 });
        double first = clock.Elapsed.TotalMilliseconds;
        if (!switches)
            return (first, 0, 0);
        await page.Locator("[data-testid=method-picker]").ClickAsync();
        ILocator layerCam = page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "LayerCAM" }).First;
        await layerCam.WaitForAsync();
        double method = await TimeNewOverlayAsync(page, () => layerCam.ClickAsync());
        double klass = await TimeNewOverlayAsync(page, () => page.Locator("[data-testid=prediction]").Nth(1).ClickAsync());
        return (first, method, klass);
    }
    finally
    {
        await page.CloseAsync();
    }
}

// From the click to an overlay <img> with a different src, decoded.
async Task<double> TimeNewOverlayAsync(IPage page, Func<Task> click)
{
    string before = await page.EvaluateAsync<string>("() => document.querySelector('[data-testid=overlay] .overlay-frame img').getAttribute('src')");
    var clock = Stopwatch.StartNew();
    await click();
    await page.WaitForFunctionAsync(
        "before => { const img = document.querySelector('[data-testid=overlay] .overlay-frame img'); return img && img.getAttribute('src') !== before && img.complete && img.naturalWidth > 0; }",
        before, new PageWaitForFunctionOptions { PollingInterval = 5 });
    return clock.Elapsed.TotalMilliseconds;
}
