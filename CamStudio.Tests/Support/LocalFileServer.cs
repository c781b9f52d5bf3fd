using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace CamStudio.Tests.Cli;

/// <summary>A minimal HTTP server on 127.0.0.1 serving in-memory files by path (404 for anything else).</summary>
public sealed class LocalFileServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public LocalFileServer()
    {
        // Find a free port, then listen on it (retrying if another process took it in between).
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                BaseUri = new Uri($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; } = null!;

    /// <summary>Paths requested so far.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public void Serve(string path, byte[] content) => _files[path.TrimStart('/')] = content;

    public Uri UriOf(string path) => new(BaseUri, path.TrimStart('/'));

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            string path = context.Request.Url!.AbsolutePath.TrimStart('/');
            Requests.Enqueue(path);
            using HttpListenerResponse response = context.Response;
            if (_files.TryGetValue(path, out byte[]? content))
            {
                response.StatusCode = 200;
                response.ContentLength64 = content.Length;
                await response.OutputStream.WriteAsync(content);
            }
            else
            {
                response.StatusCode = 404;
            }
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
