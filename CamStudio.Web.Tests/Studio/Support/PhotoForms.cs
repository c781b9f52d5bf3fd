using System.Net.Http.Headers;

namespace CamStudio.Tests.Web.Support;

/// <summary>The multipart body the studio's photo endpoints take: the photo as <c>image</c>, then text fields.</summary>
public static class PhotoForms
{
    public static MultipartFormDataContent Of(byte[] image, string fileName, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue(Path.GetExtension(fileName).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".bmp" => "image/bmp",
            ".jpg" or ".jpeg" => "image/jpeg",
            _ => "application/octet-stream",
        });
        form.Add(file, "image", fileName);
        foreach ((string name, string value) in fields)
            form.Add(new StringContent(value), name);
        return form;
    }
}
