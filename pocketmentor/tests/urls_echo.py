"""A page for the proxy tests: what the views behind the middleware see of the client."""

from django.http import JsonResponse
from django.urls import path


def echo(request):
    meta = request.META
    return JsonResponse(
        {
            "address": meta["REMOTE_ADDR"],
            "peer": meta["pocketmentor.peer"],
            "secure": request.is_secure(),
        }
    )


urlpatterns = [path("echo", echo)]
