"""Exporters: ONNX export and parity check, TensorRT engine build, benchmark.

    from redactor.exporters.export import export          # checkpoint -> .onnx | .engine, verified
    from redactor.exporters.bench import run_bench        # torch / ONNX Runtime / TensorRT side by side

Imports `redactor`; `redactor` imports this package only inside the CLI commands that need it.
"""
