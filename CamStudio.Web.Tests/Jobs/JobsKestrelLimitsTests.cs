using System.Net;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;

namespace CamStudio.Tests.Jobs;

/// <summary>Against real Kestrel: a streamed upload over the limit is refused while it arrives, and a refused Follow is one log line.</summary>
[Collection(TorchCollection.Name)]
public sealed class JobsKestrelLimitsTests : IDisposable
{
    private const long UploadLimit = 4L * 1024 * 1024;
    private readonly JobsAppFactory _app = new(kestrel: true) { ConfigureJobs = o => o.MaxUploadBytes = UploadLimit };

    public void Dispose() => _app.Dispose();

    private static long FolderBytes(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => SafeLength(f)) : 0;

    private static long SafeLength(string file)
    {
        try
        {
            return new FileInfo(file).Length;
        }
        catch (IOException)
        {
            return 0; // removed meanwhile
        }
    }

    private static Dictionary<string, long> TempFiles() =>
        new DirectoryInfo(Path.GetTempPath()).EnumerateFiles().ToDictionary(f => f.FullName, f => f.Length);

    [Fact]
    public async Task AChunkedUploadOverTheLimitIsRefusedWhileItArrivesWithoutALargeTempFile()
    {
        using var client = new HttpClient { BaseAddress = _app.ServerAddress, Timeout = TimeSpan.FromMinutes(2) };
        var tempBefore = TempFiles();
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        Task sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, FolderBytes(_app.DataDirectory));
                await Task.Delay(5);
            }
        });

        // 256 MB of "photo" with no Content-Length (chunked), sent the way curl does: the client stops sending as
        // soon as the server answers, then reads the answer.
        (int? status, string body) = await PostChunkedAsync(_app.ServerAddress, 256L * 1024 * 1024);
        await sampling.CancelAsync();
        await sampler;

        Assert.True(status == 413, $"Expected 413, got {status}: {body}");
        Assert.Contains("CamStudio:Jobs:MaxUploadBytes", body);
        Console.WriteLine($"[measure] 256 MB chunked upload with a {UploadLimit} byte limit: data folder peak {peak} bytes, after {FolderBytes(_app.DataDirectory)} bytes");
        Assert.True(peak <= UploadLimit + 1024 * 1024, $"The data folder reached {peak} bytes");
        Assert.Empty(Directory.Exists(Path.Combine(_app.DataDirectory, "jobs")) ? Directory.GetDirectories(Path.Combine(_app.DataDirectory, "jobs")) : []);
        var grown = TempFiles().Where(f => f.Value > 1024 * 1024 && (!tempBefore.TryGetValue(f.Key, out long before) || before < f.Value)).ToList();
        Assert.True(grown.Count == 0, $"Temp files grew: {string.Join(", ", grown.Select(f => $"{f.Key} {f.Value}"))}");

        // The server is fine afterwards.
        using var health = await client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task AFollowOfAnUnknownJobLogsOneWarningLineNotAStack()
    {
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/jobs")).Build();
        await connection.StartAsync();
        var error = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<JobProgress>("Follow", "0123456789abcdef"));
        Assert.Contains("no job", error.Message);
        await connection.InvokeAsync<JobProgress>("Follow", "not-a-job").ContinueWith(_ => { });

        var logged = _app.Logs.Lines.Where(e => e.Level >= LogLevel.Warning && (e.Category.Contains("SignalR") || e.Category.Contains("Hub"))).ToList();
        Assert.Equal(2, logged.Count);
        Assert.All(logged, e =>
        {
            Assert.Equal(LogLevel.Warning, e.Level);
            Assert.Null(e.Exception);
            Assert.Contains("Follow refused", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.True(e.Message.Length < 200, e.Message);
        });
    }

    /// <summary>
    /// POSTs a multipart job with one chunked photo part of <paramref name="photoBytes"/> zeros over a raw socket; stops
    /// sending when the server answers (or closes) and returns the status and body it sent.
    /// </summary>
    private static async Task<(int? Status, string Body)> PostChunkedAsync(Uri server, long photoBytes)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        using var stream = tcp.GetStream();
        const string boundary = "camstudio-test-boundary";
        string head = $"POST /api/jobs HTTP/1.1\r\nHost: {server.Host}:{server.Port}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n" +
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        async Task ChunkAsync(ReadOnlyMemory<byte> data)
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"));
            await stream.WriteAsync(data);
            await stream.WriteAsync("\r\n"u8.ToArray());
        }
        var response = new MemoryStream();
        var readBuffer = new byte[8192];
        try
        {
            await ChunkAsync(System.Text.Encoding.ASCII.GetBytes(
                $"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"huge.png\"\r\nContent-Type: image/png\r\n\r\n"));
            var zeros = new byte[64 * 1024];
            for (long sent = 0; sent < photoBytes && !stream.DataAvailable; sent += zeros.Length)
                await ChunkAsync(zeros);
        }
        catch (IOException)
        {
            // The server closed its side after answering: what it sent is still to be read.
        }
        try
        {
            int read;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while ((read = await stream.ReadAsync(readBuffer, timeout.Token)) > 0)
                response.Write(readBuffer, 0, read);
        }
        catch (IOException)
        {
            // Reset after the answer: keep what arrived.
        }
        string text = System.Text.Encoding.UTF8.GetString(response.ToArray());
        int? status = text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(text.AsSpan(9, 3), out int code) ? code : null;
        return (status, text);
    }

    /// <summary>A readable stream of <paramref name="length"/> zero bytes that never holds them in memory.</summary>
    private sealed class EndlessStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
    }
}
