"""The application's URLs plus the reference endpoint the bench measures every page against."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from smarketing.urls import urlpatterns as application

# About the size of an SLA status answer; the same for every request.
CONSTANT = {"ok": True, "items": [{"key": f"item-{n}", "value": n, "status": "met"} for n in range(40)]}


class Constant(APIView):
    """A constant JSON answer behind the API's own authentication, throttling and middleware:
    the ceiling of what any endpoint can do on this machine, measured in the same run."""

    def get(self, request):
        return Response(CONSTANT)


urlpatterns = [path("bench/constant/", Constant.as_view(), name="bench-constant"), *application]
