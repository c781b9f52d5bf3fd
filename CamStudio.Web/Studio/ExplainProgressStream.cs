using System.Text.Json;
using System.Threading.Channels;
using CamStudio.Engine.Cam;

namespace CamStudio.Web.Studio;

/// <summary>
/// A streamed explain response (<c>application/x-ndjson</c>): one <c>{"progress":{...}}</c> line per report of a
/// slow method, then one <c>{"result":{...}}</c> or <c>{"error":{...}}</c> line. Reports arrive on the torch
/// thread, so they are queued and written by a pump on the thread pool; the torch thread never waits for the network.
/// </summary>
public sealed class ExplainProgressStream : IProgress<ExplainProgress>
{
    public const string ContentType = "application/x-ndjson";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpResponse _response;
    private readonly Channel<ExplainProgress> _reports = Channel.CreateBounded<ExplainProgress>(
        new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task _pump;
    private readonly CancellationToken _cancellationToken;

    private ExplainProgressStream(HttpResponse response, CancellationToken cancellationToken)
    {
        _response = response;
        _cancellationToken = cancellationToken;
        _pump = Task.Run(PumpAsync, CancellationToken.None);
    }

    /// <summary>Starts the 200 response (errors after this go in the last line) and returns the stream.</summary>
    public static async Task<ExplainProgressStream> StartAsync(HttpResponse response, CancellationToken cancellationToken)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        await response.Body.FlushAsync(cancellationToken);
        return new ExplainProgressStream(response, cancellationToken);
    }

    public void Report(ExplainProgress value) => _reports.Writer.TryWrite(value);

    /// <summary>Writes the queued progress lines, then <paramref name="last"/> as the last line.</summary>
    public async Task FinishAsync(object last)
    {
        _reports.Writer.TryComplete();
        await _pump;
        await WriteLineAsync(last);
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (ExplainProgress p in _reports.Reader.ReadAllAsync(_cancellationToken))
            {
                await WriteLineAsync(new
                {
                    progress = new
                    {
                        done = p.DoneForwards,
                        total = p.TotalForwards,
                        fraction = p.Fraction,
                        elapsedMs = (long)p.Elapsed.TotalMilliseconds,
                        remainingMs = p.Remaining is { } r ? (long?)r.TotalMilliseconds : null,
                    },
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away; the engine's token stops the work.
        }
    }

    private async Task WriteLineAsync(object line)
    {
        if (_cancellationToken.IsCancellationRequested)
            return;
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(line, Json);
        await _response.Body.WriteAsync(bytes, _cancellationToken);
        await _response.Body.WriteAsync("\n"u8.ToArray(), _cancellationToken);
        await _response.Body.FlushAsync(_cancellationToken);
    }
}
