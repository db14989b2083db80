"""The product's URLs plus ``/bench/minimal``: the ceiling a Django view can reach here."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from clearinghouse.urls import urlpatterns as product_urlpatterns


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal", minimal), *product_urlpatterns]
