# Sourced by tests/e2e/lib.sh and bench/lib.sh: the nginx configuration
# both start nginx with, everything kept under one directory.

# nginx_conf DIR MASTER(on|off) PROCESSES HTTP SERVER: DIR/nginx.conf for an
# nginx run in the foreground with its pid file, logs and temporary files in
# DIR, keep-alive connections that last, HTTP more lines of the http block
# and SERVER the lines of its one server block.
nginx_conf() {
	local d=$1
	mkdir -p "$d/logs"
	cat >"$d/nginx.conf" <<NGX
daemon off;
master_process $2;
worker_processes $3;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	keepalive_requests 1000000;
	$4
	server {
		$5
	}
}
NGX
}
