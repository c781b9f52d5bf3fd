using CamStudio.Engine;
using CamStudio.Web.Access;
using CamStudio.Web.Studio;
using Microsoft.AspNetCore.Http.Features;

namespace CamStudio.Web.Models;

/// <summary>
/// Changing the models folder over HTTP, for the host and for callers with the access code (the access middleware
/// refuses everybody else before this runs): <c>POST /api/models</c> adds, <c>DELETE /api/models/{name}</c> removes,
/// <c>PUT /api/models/default</c> chooses the default. Listing stays in <see cref="StudioApi"/>.
/// </summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder group = app.MapGroup("/api/models");
        group.MapPost("", AddAsync).DisableAntiforgery()
            .WithSummary("Add a model: multipart 'file' (.onnx, or weights with 'architecture'), optional 'labels', 'name', 'size', 'resize', 'mean', 'std', 'replace'.");
        group.MapDelete("{name}", Remove).WithSummary("Remove a model from the models folder.");
        group.MapPut("default", SetDefault).DisableAntiforgery().WithSummary("Choose the default model: JSON {\"name\": \"...\"}.");
        return app;
    }

    private static async Task<IResult> AddAsync(HttpContext context, ModelUploads uploads, CancellationToken cancellationToken)
    {
        _ = context.GetStudioCaller(); // only callers the access middleware admitted
        long limit = uploads.Limits.MaxModelBytes + uploads.Limits.MaxLabelsBytes + (1L << 20);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit;
        if (context.Request.ContentLength > limit)
            return Refused("file", $"The upload is larger than the {ModelUploads.Size(limit)} a model and its labels may have.", StatusCodes.Status413PayloadTooLarge);
        if (!context.Request.HasFormContentType)
            return Refused("file", "Send the model as multipart/form-data with 'file' (and optionally 'labels').");
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit, ValueCountLimit = 64 }, cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return Refused("file", $"The upload could not be read: {e.Message}");
        }
        if (form.Files.GetFile("file") is not { } file)
            return Refused("file", "No model file: send it as the form field 'file' (.onnx, or a weights file with 'architecture').");
        IFormFile? labels = form.Files.GetFile("labels");
        var upload = new ModelUpload(
            new ModelUploadFile(file.FileName, _ => file.OpenReadStream()),
            labels is null ? null : new ModelUploadFile(labels.FileName, _ => labels.OpenReadStream()),
            form["name"].FirstOrDefault(), form["architecture"].FirstOrDefault(), form["size"].FirstOrDefault(), form["resize"].FirstOrDefault(),
            form["mean"].FirstOrDefault(), form["std"].FirstOrDefault(), form["replace"].FirstOrDefault() is "true" or "on" or "1");
        try
        {
            EngineModelSummary added = await uploads.AddAsync(upload, cancellationToken);
            return Results.Created($"/api/models/{added.Name}", added);
        }
        catch (ModelUploadException ex)
        {
            return Refused(ex.Field, ex.Message);
        }
        catch (CamRequestException ex)
        {
            return Refused("file", ex.Message, StatusCodes.Status422UnprocessableEntity);
        }
    }

    private static IResult Remove(string name, HttpContext context, CamEngine engine)
    {
        _ = context.GetStudioCaller();
        try
        {
            return engine.RemoveCatalogModel(name)
                ? Results.NoContent()
                : Results.Problem(title: "Unknown model", detail: $"There is no model '{name}' in the models folder.", statusCode: StatusCodes.Status404NotFound);
        }
        catch (CamRequestException ex)
        {
            return Refused("model", ex.Message, StatusCodes.Status500InternalServerError);
        }
    }

    private static IResult SetDefault(DefaultModelRequest request, HttpContext context, CamEngine engine)
    {
        _ = context.GetStudioCaller();
        if (string.IsNullOrWhiteSpace(request.Name))
            return Refused("name", "Name the model to make the default: {\"name\": \"...\"}.");
        try
        {
            engine.SetDefaultModel(request.Name);
            return Results.Ok(new DefaultModelRequest(engine.DefaultModel));
        }
        catch (CamRequestException ex)
        {
            return ex.Kind == CamRequestErrorKind.UnknownModel
                ? Results.Problem(title: "Unknown model", detail: ex.Message, statusCode: StatusCodes.Status404NotFound)
                : Refused("name", ex.Message, StatusCodes.Status422UnprocessableEntity);
        }
    }

    private static IResult Refused(string field, string message, int status = StatusCodes.Status400BadRequest) =>
        Results.Problem(title: "The model was not added", detail: message, statusCode: status,
            extensions: new Dictionary<string, object?> { ["field"] = field });
}

/// <summary>The body of <c>PUT /api/models/default</c>, and its answer.</summary>
public sealed record DefaultModelRequest(string? Name);
