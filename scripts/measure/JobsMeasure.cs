#:package Microsoft.AspNetCore.SignalR.Client@10.0.15
#:property ManagePackageVersionsCentrally=false
#:property TreatWarningsAsErrors=false
#:property PublishAot=false

// Measures one batch job on a running CamStudio: photos per second, and the delay from a photo's result being
// committed on the server (JobProgress.finishedAtUnixMs) to its JobProgress message arriving here.
// Usage: dotnet run scripts/measure/JobsMeasure.cs -- http://127.0.0.1:5000 /path/to/photos 100 [jobs=1]
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

var server = new Uri(args[0].TrimEnd('/') + "/");
string[] sources = Directory.GetFiles(args[1]).Where(f => f.EndsWith(".jpg") || f.EndsWith(".png") || f.EndsWith(".bmp")).Order().ToArray();
int count = int.Parse(args[2]);
int jobs = args.Length > 3 ? int.Parse(args[3]) : 1;
using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromMinutes(30) };
await using var hub = new HubConnectionBuilder().WithUrl(new Uri(server, "hubs/jobs")).Build();
var delays = new List<double>();
TaskCompletionSource<JsonElement>? finished = null;
hub.On<JsonElement>("JobProgress", p =>
{
    long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    if (p.TryGetProperty("finishedAtUnixMs", out var at) && at.ValueKind == JsonValueKind.Number)
        lock (delays) delays.Add(now - at.GetInt64());
    if (p.GetProperty("state").GetString() is "completed" or "failed" or "cancelled")
        finished?.TrySetResult(p);
});
await hub.StartAsync();
for (int j = 0; j < jobs; j++)
{
    var form = new MultipartFormDataContent();
    for (int i = 0; i < count; i++)
    {
        string source = sources[i % sources.Length];
        var content = new ByteArrayContent(File.ReadAllBytes(source));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "photos", $"p{i:D3}_{Path.GetFileName(source)}");
    }
    form.Add(new StringContent("gradcam"), "methods");
    finished = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
    var clock = Stopwatch.StartNew();
    using var response = await http.PostAsync("api/jobs", form);
    string body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
        throw new InvalidOperationException($"POST /api/jobs: {(int)response.StatusCode} {body}");
    string jobId = JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetString()!;
    await hub.InvokeAsync<JsonElement>("Follow", jobId);
    JsonElement final = await finished.Task;
    double seconds = clock.Elapsed.TotalSeconds;
    double runSeconds = final.GetProperty("elapsedMs").GetInt64() / 1000.0;
    Console.WriteLine($"job {jobId}: {final.GetProperty("state").GetString()}, {final.GetProperty("done").GetInt32()} done, " +
        $"{count / runSeconds:F1} photos/s in the runner ({runSeconds:F1} s), {count / seconds:F1} photos/s end to end incl. upload ({seconds:F1} s)");
}
lock (delays)
{
    delays.Sort();
    Console.WriteLine($"progress delay (commit → client) over {delays.Count} messages: median {delays[delays.Count / 2]:F0} ms, " +
        $"p95 {delays[(int)(delays.Count * 0.95)]:F0} ms, max {delays[^1]:F0} ms");
}
