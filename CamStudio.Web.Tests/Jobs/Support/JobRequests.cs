using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>Builds job uploads from the shared photos and reads the API's answers.</summary>
public static class JobRequests
{
    public static readonly string[] SharedPhotos =
        ["cat.bmp", "dog.jpg", "chelsea.png", "coffee.png", "owl.jpg", "parrot.jpg", "horses.jpg", "puppies.jpg", "bird.bmp", "hot_dog.jpg"];

    /// <summary><paramref name="count"/> shared photos (repeated and renamed <c>p007_owl.jpg</c>) as a multipart form.</summary>
    public static MultipartFormDataContent Photos(int count, string methods = "gradcam")
    {
        var form = new MultipartFormDataContent();
        for (int i = 0; i < count; i++)
        {
            string name = SharedPhotos[i % SharedPhotos.Length];
            var content = new ByteArrayContent(File.ReadAllBytes(SharedResources.Image(name)));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "photos", $"p{i:D3}_{name}");
        }
        form.Add(new StringContent(methods), "methods");
        return form;
    }

    public static async Task<string> SubmitAsync(HttpClient client, HttpContent form)
    {
        using var response = await client.PostAsync("api/jobs", form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"POST /api/jobs gave {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("jobId").GetString()!;
    }

    public static async Task<JsonElement> GetJobAsync(HttpClient client, string jobId) =>
        await client.GetFromJsonAsync<JsonElement>($"api/jobs/{jobId}");

    /// <summary>Polls until the job reaches a final state (or fails the test after <paramref name="seconds"/>).</summary>
    public static async Task<JsonElement> WaitForEndAsync(HttpClient client, string jobId, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            JsonElement job = await GetJobAsync(client, jobId);
            string state = job.GetProperty("state").GetString()!;
            if (state is "completed" or "failed" or "cancelled")
                return job;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Job {jobId} still {state} after {seconds} s: {job}");
            await Task.Delay(50);
        }
    }
}
