"""Door visits (上门核查): tasks sent to the grid cell of a house, and the results grid workers
upload with a proof of visit. Other packages hang their own subjects on a task (subjects.py);
this package never imports them."""
