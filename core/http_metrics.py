"""django-prometheus' after-middleware, with each labelled series looked up once per process, not per request.

django-prometheus labels six series per request (`metric.labels(view=..., method=...)`), and
prometheus_client checks the label names and takes the metric's lock on every such call:
about 4 % of an API request's CPU. For the same labels it returns the same child each time
(kept in the metric until `remove()` or `clear()`, which nothing here calls), so this keeps
those children by their labels; every figure is counted exactly as before. The middleware's
only hook for this is `label_metric`; the cache holds no more entries than the metrics hold series.
"""

from django_prometheus.middleware import PrometheusAfterMiddleware as LibraryPrometheusAfterMiddleware


class PrometheusAfterMiddleware(LibraryPrometheusAfterMiddleware):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.series = {}

    def label_metric(self, metric, request, response=None, **labels):
        if not labels:
            return metric
        key = (metric, *labels.items())
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = metric.labels(**labels)
        return series
